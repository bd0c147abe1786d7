/** The products the shop starts with; catalog and inventory seed from the same list. */

/** One seeded product. */
export interface SeedProduct {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  initialStock: number;
}

/** Seed data: ids are stable so inventory and catalog agree without talking. */
export const SEED_PRODUCTS: readonly SeedProduct[] = [
  {
    id: 'sku-keyboard',
    name: 'Mechanical keyboard',
    description: 'Tenkeyless, brown switches',
    priceCents: 8900,
    initialStock: 50,
  },
  {
    id: 'sku-mouse',
    name: 'Wireless mouse',
    description: '2.4 GHz, 6 buttons',
    priceCents: 3900,
    initialStock: 120,
  },
  {
    id: 'sku-monitor',
    name: '27" monitor',
    description: '2560×1440, 144 Hz',
    priceCents: 32900,
    initialStock: 15,
  },
  {
    id: 'sku-headset',
    name: 'Headset',
    description: 'Closed-back, USB-C',
    priceCents: 7400,
    initialStock: 40,
  },
  {
    id: 'sku-webcam',
    name: 'Webcam',
    description: '1080p, dual microphones',
    priceCents: 5900,
    initialStock: 30,
  },
  {
    id: 'sku-dock',
    name: 'USB-C dock',
    description: '2× DisplayPort, 100 W passthrough',
    priceCents: 19900,
    initialStock: 10,
  },
  {
    id: 'sku-chair',
    name: 'Office chair',
    description: 'Mesh back, adjustable arms',
    priceCents: 24900,
    initialStock: 8,
  },
  { id: 'sku-lamp', name: 'Desk lamp', description: 'Dimmable LED', priceCents: 2900, initialStock: 200 },
];

/** Users the shop starts with. */
export const SEED_USERS = [
  { id: 'u-ada', name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
  { id: 'u-grace', name: 'Grace Hopper', email: 'grace@example.com', address: '1 Compiler Way, Arlington' },
] as const;
