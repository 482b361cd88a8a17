import { type MailHost, STANDARD_SERVICES } from '../src/index.ts';

export const HOST: MailHost = {
  hostname: 'mail.example.test',
  domain: 'example.test',
  services: [...STANDARD_SERVICES],
};

export { freePort } from '@mailstack/testkit';
