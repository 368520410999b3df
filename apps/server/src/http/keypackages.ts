import type { FastifyInstance } from 'fastify';
import { ClaimKeyPackagesRequest, UploadKeyPackagesRequest } from '@parley/protocol';
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
}
