/** JSON Schemas of the `meshwork.dev/v1alpha1` specs; they mirror `resources/meshwork.ts`. */
import { int, map, nonEmpty, obj, oneOfStrings, port, type Schema, str } from './builders.js';

/** ServiceInstance spec. */
export const serviceInstanceSpec: Schema = obj(
  {
    service: nonEmpty(),
    address: nonEmpty(),
    port: port(),
    sidecarPort: port(),
    protocol: oneOfStrings(['http', 'grpc', 'tcp']),
    labels: map(),
    version: str(),
    serviceAccount: str(),
    locality: str(),
    weight: int(1),
  },
  ['service', 'address', 'port'],
);
