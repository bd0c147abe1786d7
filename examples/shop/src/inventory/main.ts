import { runMain } from '../common/boot.js';
import { inventoryApp } from './app.js';

runMain('inventory', inventoryApp);
