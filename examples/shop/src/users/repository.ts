/** Users storage. */
import { SEED_USERS } from '../common/seed.js';
import type { Database } from '../db/database.js';

/** A shop customer. */
export interface User {
  id: string;
  name: string;
  email: string;
  address: string;
}

/** What the users service needs from storage. */
export interface UsersRepository {
  get(id: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Inserts a user; returns false when the email is taken. */
  create(user: User): Promise<boolean>;
}

const toUser = (r: Record<string, unknown>): User => ({
  id: String(r.id),
  name: String(r.name),
  email: String(r.email),
  address: String(r.address),
});

/** Creates tables and seeds users. */
export async function openUsersRepository(db: Database): Promise<UsersRepository> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, address TEXT NOT NULL)',
  );
  for (const u of SEED_USERS) {
    await db.run(
      'INSERT INTO users (id, name, email, address) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [u.id, u.name, u.email, u.address],
    );
  }
  return {
    async get(id) {
      const [row] = await db.query('SELECT * FROM users WHERE id = $1', [id]);
      return row ? toUser(row) : undefined;
    },
    async list() {
      return (await db.query('SELECT * FROM users ORDER BY id')).map(toUser);
    },
    async create(user) {
      const changed = await db.run(
        'INSERT INTO users (id, name, email, address) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [user.id, user.name, user.email, user.address],
      );
      return changed === 1;
    },
  };
}
