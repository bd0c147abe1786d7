import { runMain } from '../common/boot.js';
import { catalogApp } from './app.js';

runMain('catalog', catalogApp);
