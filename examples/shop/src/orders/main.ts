import { runMain } from '../common/boot.js';
import { ordersApp } from './app.js';

runMain('orders', ordersApp);
