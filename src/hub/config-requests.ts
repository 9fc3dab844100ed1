// Operator API requests about the hub's configuration: reload the config file (admin,
// audited by the reload itself) and send the daily inspection through channels now.
import { configRequests } from '../protocol/operator.js';
import type { ApiClientInfo } from './api.js';
import type { ConfigReload } from './config-reload.js';
import type { InspectionMail } from './inspection-mail.js';
import { methodsOf, parse } from './params.js';

export const CONFIG_METHODS = methodsOf(configRequests);

export interface ConfigRequestPorts {
  reload: Pick<ConfigReload, 'reload'>;
  inspection: Pick<InspectionMail, 'send'>;
}

export async function handleConfigRequest(ports: ConfigRequestPorts, method: string, params: unknown, client: ApiClientInfo): Promise<unknown> {
  switch (method) {
    case 'config.reload':
      parse('config.reload', params);
      return ports.reload.reload(client.actor);
    default: {
      const p = parse('inspection.send', params);
      return ports.inspection.send(p.channels ?? null, client.actor);
    }
  }
}
