import type { FastifyInstance } from 'fastify';
import {
  ChallengeRequest, CreateAccountRequest, DeviceLoginRequest, PasskeyLoginVerifyRequest,
  PasskeyRegisterOptionsRequest, PasskeyRegisterVerifyRequest, RecoveryRequest,
} from '@parley/protocol';
import type { Services } from '../services.ts';
import { parse } from './edge.ts';

/** Sign-up, device-key login, passkeys and recovery: the routes that need no session. */
export function accountRoutes(app: FastifyInstance, services: Services): void {
  const { accounts, passkeys } = services;

  app.post('/accounts', async (request, reply) => {
    const body = parse(CreateAccountRequest, request.body);
    await accounts.checkSignupRate(request.ip);
    return reply.status(201).send(await accounts.createAccount(body));
  });

  app.post('/auth/challenge', async (request) => {
    const body = parse(ChallengeRequest, request.body);
    await accounts.checkLoginRate(request.ip);
    return accounts.createChallenge(body.deviceId);
  });

  app.post('/auth/device', async (request) => {
    const body = parse(DeviceLoginRequest, request.body);
    await accounts.checkLoginRate(request.ip);
    return accounts.loginDevice(body);
  });

  app.post('/recovery', async (request) => {
    const body = parse(RecoveryRequest, request.body);
    await accounts.checkLoginRate(request.ip);
    return accounts.recover(body);
  });

  app.post('/passkeys/register/options', async (request) => {
    const body = parse(PasskeyRegisterOptionsRequest, request.body);
    await accounts.checkSignupRate(request.ip);
    return passkeys.registrationOptions(body);
  });

  app.post('/passkeys/register/verify', async (request, reply) => {
    const body = parse(PasskeyRegisterVerifyRequest, request.body);
    return reply.status(201).send(await passkeys.register(body));
  });

  app.post('/passkeys/login/options', async (request) => {
    await accounts.checkLoginRate(request.ip);
    return passkeys.loginOptions();
  });

  app.post('/passkeys/login/verify', async (request) => {
    const body = parse(PasskeyLoginVerifyRequest, request.body);
    return passkeys.login(body);
  });
}
