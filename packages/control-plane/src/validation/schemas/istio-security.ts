/** JSON Schemas of the `security.istio.io` specs; they mirror `resources/istio-security.ts`. */
import { arr, bool, duration, map, nonEmpty, obj, oneOfStrings, type Schema, str } from './builders.js';

const selector = obj({ matchLabels: map() });
const strings = arr(str());

const source = obj({
  principals: strings,
  notPrincipals: strings,
  requestPrincipals: strings,
  notRequestPrincipals: strings,
  namespaces: strings,
  notNamespaces: strings,
  ipBlocks: strings,
  notIpBlocks: strings,
  remoteIpBlocks: strings,
  notRemoteIpBlocks: strings,
});

const operation = obj({
  hosts: strings,
  notHosts: strings,
  ports: strings,
  notPorts: strings,
  methods: strings,
  notMethods: strings,
  paths: strings,
  notPaths: strings,
});

/** AuthorizationPolicy spec. */
export const authorizationPolicySpec: Schema = obj({
  selector,
  rules: arr(
    obj({
      from: arr(obj({ source }, ['source'])),
      to: arr(obj({ operation }, ['operation'])),
      when: arr(obj({ key: nonEmpty(), values: strings, notValues: strings }, ['key'])),
    }),
  ),
  action: oneOfStrings(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
  provider: obj({ name: nonEmpty() }, ['name']),
});

const mtls = obj({ mode: oneOfStrings(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']) });

/** PeerAuthentication spec. */
export const peerAuthenticationSpec: Schema = obj({
  selector,
  mtls,
  portLevelMtls: { type: 'object', propertyNames: { pattern: '^[0-9]+$' }, additionalProperties: mtls },
});

/** RequestAuthentication spec. */
export const requestAuthenticationSpec: Schema = obj({
  selector,
  jwtRules: arr(
    obj(
      {
        issuer: nonEmpty(),
        audiences: strings,
        jwksUri: str(),
        jwks: str(),
        fromHeaders: arr(obj({ name: nonEmpty(), prefix: str() }, ['name'])),
        fromParams: strings,
        fromCookies: strings,
        outputPayloadToHeader: str(),
        forwardOriginalToken: bool(),
        outputClaimToHeaders: arr(obj({ header: nonEmpty(), claim: nonEmpty() }, ['header', 'claim'])),
        timeout: duration(),
      },
      ['issuer'],
    ),
  ),
});
