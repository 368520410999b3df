import type { FastifyInstance } from 'fastify';
import { ClaimKeyPackagesRequest, MlsTreeParams, UploadKeyPackagesRequest, type MlsTreeResponse } from '@parley/protocol';
import type { Services } from '../services.ts';
import { parse, requireAuth } from './edge.ts';

/**
 * The MLS key package directory (R14). A device uploads and counts only its own key packages (the
 * session says which device it is); claims hand out other devices' ones, consumed once.
 */
export function keyPackageRoutes(app: FastifyInstance, services: Services, apiPerSec: number): void {
  const auth = (request: Parameters<typeof requireAuth>[1]) => requireAuth(services, request, apiPerSec);
  const { mls } = services;

  app.post('/keypackages', async (request) => {
    const caller = await auth(request);
    return mls.upload(caller, parse(UploadKeyPackagesRequest, request.body));
  });

  app.get('/keypackages/count', async (request) => mls.count(await auth(request)));

  app.post('/keypackages/claim', async (request) => {
    const caller = await auth(request);
    return mls.claim(caller, parse(ClaimKeyPackagesRequest, request.body));
  });

  app.get('/chats/:chatId/mls/tree/:epoch', async (request): Promise<MlsTreeResponse> => {
    const caller = await auth(request);
    const { chatId, epoch } = parse(MlsTreeParams, request.params);
    return { tree: Buffer.from(await mls.joinTree(caller, chatId, epoch)).toString('base64') };
  });
}
