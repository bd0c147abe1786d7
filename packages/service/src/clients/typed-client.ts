/**
 * Declarative, typed clients — the Node counterpart of Spring Cloud's `@FeignClient`:
 *
 * ```java
 * @FeignClient("inventory-service")
 * public interface InventoryClient {
 *   @GetMapping("/api/inventory/{productId}")
 *   InventoryDto checkInventory(@PathVariable Long productId);
 * }
 * ```
 *
 * ```ts
 * const inventory = typedClient(connect('inventory-service'), {
 *   checkInventory: get<InventoryDto, [productId: number]>((id) => `/api/inventory/${id}`),
 * });
 * const dto = await inventory.checkInventory(42);
 * ```
 */
import type { OutboundRequest, ServiceClient } from './service-client.js';

/** One method of a typed client: how its arguments become a request. */
export interface Call<A extends unknown[], R> {
  toRequest(...args: A): OutboundRequest;
  /** Phantom type carrier for the result. */
  readonly result?: R;
}

/** A GET whose path is built from the arguments. */
export function get<R, A extends unknown[] = []>(path: (...args: A) => string): Call<A, R> {
  return { toRequest: (...args) => ({ method: 'GET', path: path(...args) }) };
}

/** A POST: `build` returns the path, the JSON body and optionally an idempotency key. */
export function post<R, A extends unknown[] = []>(
  build: (...args: A) => { path: string; body?: unknown; idempotencyKey?: string },
): Call<A, R> {
  return { toRequest: (...args) => ({ method: 'POST', ...build(...args) }) };
}

/** The typed client built from a map of calls. */
export type TypedClient<M> = {
  [K in keyof M]: M[K] extends Call<infer A, infer R> ? (...args: A) => Promise<R> : never;
};

/** Binds a map of {@link Call}s to a {@link ServiceClient}. */
export function typedClient<M extends Record<string, Call<any, any>>>(
  client: ServiceClient,
  calls: M,
): TypedClient<M> {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(calls)) {
    const call = calls[name];
    out[name] = async (...args: unknown[]) => (await client.request(call.toRequest(...args))).body;
  }
  return out as TypedClient<M>;
}
