import { runMain } from '../common/boot.js';
import { paymentsApp } from './app.js';

runMain('payments', paymentsApp);
