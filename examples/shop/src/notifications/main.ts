import { runMain } from '../common/boot.js';
import { notificationsApp } from './app.js';

runMain('notifications', notificationsApp);
