import { runMain } from '../common/boot.js';
import { usersApp } from './app.js';

runMain('users', usersApp);
