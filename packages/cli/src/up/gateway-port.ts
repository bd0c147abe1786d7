/**
 * Binds the mesh gateway to the port `meshwork up` chose. A gateway proxy listens on its
 * `Gateway` resources' server ports; the conventional 8080 in those resources is rewritten to the
 * chosen port before they are applied (other ports are left alone), so `--gateway-port` and a
 * busy 8080 work the same in mesh mode as with the built-in edge.
 */
import { parseAllDocuments, stringify } from 'yaml';

/** The port Gateway resources conventionally use for plain HTTP. */
export const DEFAULT_GATEWAY_PORT = 8080;

/** Returns the YAML documents with every Gateway server on 8080 moved to `port` (unchanged text when port is 8080). */
export function bindGatewayPort(yamlText: string, port: number): string {
  if (port === DEFAULT_GATEWAY_PORT) return yamlText;
  const docs = parseAllDocuments(yamlText).map((d) => d.toJS() as Record<string, any> | null);
  for (const doc of docs) {
    if (doc?.kind !== 'Gateway') continue;
    for (const server of doc.spec?.servers ?? []) {
      if (server?.port?.number === DEFAULT_GATEWAY_PORT) server.port.number = port;
    }
  }
  return docs
    .filter((d) => d !== null)
    .map((d) => stringify(d))
    .join('---\n');
}
