import { runMain } from '../common/boot.js';
import { shippingApp } from './app.js';

runMain('shipping', shippingApp);
