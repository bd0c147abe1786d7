/** The shop's services in start order (dependencies first), with their replica counts. */

/** One service of the shop as `meshwork up` runs it. */
export interface ShopServiceSpec {
  name: string;
  /** Entry file relative to the shop's package root. */
  main: string;
  replicas: number;
  /** Per-replica versions (canary): length equals `replicas`. */
  versions?: string[];
  /** Extra ports (env var → protocol) besides `PORT`. */
  extraPorts?: Record<string, 'grpc' | 'http'>;
  /** Start tier: every service of a tier starts together once the previous tier is ready. */
  tier: number;
}

/** The reference shop. */
export const SHOP_SERVICES: readonly ShopServiceSpec[] = [
  { name: 'users', main: 'dist/users/main.js', replicas: 1, tier: 0 },
  { name: 'catalog', main: 'dist/catalog/main.js', replicas: 3, versions: ['v1', 'v1', 'v2'], tier: 0 },
  {
    name: 'inventory',
    main: 'dist/inventory/main.js',
    replicas: 1,
    extraPorts: { GRPC_PORT: 'grpc' },
    tier: 0,
  },
  { name: 'payments', main: 'dist/payments/main.js', replicas: 1, tier: 0 },
  { name: 'shipping', main: 'dist/shipping/main.js', replicas: 1, tier: 0 },
  { name: 'notifications', main: 'dist/notifications/main.js', replicas: 1, tier: 0 },
  { name: 'orders', main: 'dist/orders/main.js', replicas: 1, tier: 1 },
];
