/** Notifications storage: every message sent, deduplicated by idempotency key. */
import type { Database } from '../db/database.js';

/** A notification that was sent. */
export interface Notification {
  id: string;
  idempotencyKey: string;
  userId: string;
  channel: string;
  message: string;
  createdAt: string;
}

/** What notifications need from storage. */
export interface NotificationsRepository {
  /** Stores unless the key was seen; returns whether it was new. */
  record(n: Notification): Promise<boolean>;
  list(userId: string | undefined, limit: number): Promise<Notification[]>;
}

const toNotification = (r: Record<string, unknown>): Notification => ({
  id: String(r.id),
  idempotencyKey: String(r.idempotency_key),
  userId: String(r.user_id),
  channel: String(r.channel),
  message: String(r.message),
  createdAt: String(r.created_at),
});

/** Creates tables. */
export async function openNotificationsRepository(db: Database): Promise<NotificationsRepository> {
  await db.exec(`CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL, channel TEXT NOT NULL, message TEXT NOT NULL, created_at TEXT NOT NULL)`);
  return {
    async record(n) {
      const changed = await db.run(
        `INSERT INTO notifications (id, idempotency_key, user_id, channel, message, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
        [n.id, n.idempotencyKey, n.userId, n.channel, n.message, n.createdAt],
      );
      return changed === 1;
    },
    async list(userId, limit) {
      const rows = userId
        ? await db.query('SELECT * FROM notifications WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2', [
            userId,
            limit,
          ])
        : await db.query('SELECT * FROM notifications ORDER BY created_at DESC LIMIT $1', [limit]);
      return rows.map(toNotification);
    },
  };
}
