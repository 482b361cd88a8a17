import { bufferBlob, type Envelope, readAll } from '@mailstack/core';
import { createDkimSigner, generateDkimKey, headerFromDomain } from '@mailstack/mta';
import { dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';

const envelope: Envelope = {
  mailFrom: 'alice@origin.test',
  rcptTo: [{ address: 'bob@remote.test' }],
  params: {},
};

function message(from = 'Alice <alice@origin.test>', body = 'Hello Bob,\r\nlunch at noon?\r\n'): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: bob@remote.test\r\nSubject: Lunch\r\nDate: Fri, 20 Nov 2026 08:00:00 +0000\r\n` +
      `Message-ID: <lunch-1@origin.test>\r\n\r\n${body}`,
  );
}

/** A resolver that knows only the published key records, split into 255-byte strings as DNS does. */
function resolverFor(records: Record<string, string>) {
  return async (name: string, type: string) => {
    const txt = type === 'TXT' ? records[name.toLowerCase()] : undefined;
    if (txt === undefined) throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    return [txt.match(/.{1,255}/g) ?? []];
  };
}

async function verify(bytes: Buffer, records: Record<string, string>) {
  const result = await dkimVerify(bytes, { resolver: resolverFor(records) });
  return result.results.map((r) => ({ domain: r.signingDomain, result: r.status?.result }));
}

describe('createDkimSigner', () => {
  it('signs mail from a configured domain; the signature verifies (RSA)', async () => {
    const key = await generateDkimKey();
    expect(key.dnsTxtRecord).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
    const signer = createDkimSigner({
      domain: 'origin.test',
      selector: 'mail',
      privateKey: key.privateKeyPem,
    });
    const original = bufferBlob(message());
    const prepared = await signer.prepare(envelope, original);
    const signed = await readAll(prepared.open());
    expect(prepared.size).toBe(signed.length);
    expect(signed.toString()).toMatch(/^DKIM-Signature: .*d=origin\.test/s);
    expect(await verify(signed, { 'mail._domainkey.origin.test': key.dnsTxtRecord })).toEqual([
      { domain: 'origin.test', result: 'pass' },
    ]);
  });

  it('fails verification once the body is changed after signing', async () => {
    const key = await generateDkimKey();
    const signer = createDkimSigner({
      domain: 'origin.test',
      selector: 'mail',
      privateKey: key.privateKeyPem,
    });
    const signed = (await signer.sign(message()))!;
    const tampered = Buffer.from(signed.toString().replace('lunch at noon?', 'lunch at one?'));
    expect(await verify(tampered, { 'mail._domainkey.origin.test': key.dnsTxtRecord })).toEqual([
      { domain: 'origin.test', result: 'neutral' },
    ]);
    const [detail] = (
      await dkimVerify(tampered, {
        resolver: resolverFor({ 'mail._domainkey.origin.test': key.dnsTxtRecord }),
      })
    ).results;
    expect(detail?.status?.comment).toMatch(/body hash did not verify/);
  });

  it('leaves mail from a domain without a key unsigned, the same blob', async () => {
    const key = await generateDkimKey();
    const signer = createDkimSigner({
      domain: 'origin.test',
      selector: 'mail',
      privateKey: key.privateKeyPem,
    });
    const blob = bufferBlob(message('Eve <eve@elsewhere.test>'));
    expect(await signer.prepare(envelope, blob)).toBe(blob);
    expect(await signer.sign(message('eve@origin.test.elsewhere.test'))).toBeNull();
  });

  it('signs each of several domains with its own key (RSA and Ed25519)', async () => {
    const rsa = await generateDkimKey();
    const ed = await generateDkimKey({ type: 'ed25519' });
    expect(ed.dnsTxtRecord).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    const signer = createDkimSigner({
      domains: {
        'Origin.test': { selector: 'rsa1', privateKey: rsa.privateKeyPem },
        'second.test': { selector: 'ed1', privateKey: ed.privateKeyPem, algorithm: 'ed25519' },
      },
    });
    expect(signer.domains).toEqual(['origin.test', 'second.test']);
    const records = {
      'rsa1._domainkey.origin.test': rsa.dnsTxtRecord,
      'ed1._domainkey.second.test': ed.dnsTxtRecord,
    };
    const first = (await signer.sign(message('alice@ORIGIN.test')))!;
    const second = (await signer.sign(message('"Carol, C." <carol@second.test>')))!;
    expect(second.toString()).toContain('a=ed25519-sha256');
    expect(await verify(first, records)).toEqual([{ domain: 'origin.test', result: 'pass' }]);
    expect(await verify(second, records)).toEqual([{ domain: 'second.test', result: 'pass' }]);
  });

  it('signs the header fields it is told to', async () => {
    const key = await generateDkimKey();
    const signer = createDkimSigner({
      domain: 'origin.test',
      selector: 'mail',
      privateKey: key.privateKeyPem,
      headers: ['From', 'Subject', 'Message-ID'],
    });
    const signed = (await signer.sign(message()))!.toString();
    const h = /\bh=([^;]*);/.exec(signed.replace(/\r\n\s+/g, ' '))![1]!;
    expect(
      h
        .split(':')
        .map((f) => f.trim().toLowerCase())
        .sort(),
    ).toEqual(['from', 'message-id', 'subject']);
    expect(await verify(Buffer.from(signed), { 'mail._domainkey.origin.test': key.dnsTxtRecord })).toEqual([
      { domain: 'origin.test', result: 'pass' },
    ]);
  });

  it('sends unsigned rather than failing when the key is unusable', async () => {
    const signer = createDkimSigner({ domain: 'origin.test', selector: 'mail', privateKey: 'not a key' });
    const blob = bufferBlob(message());
    expect(await signer.prepare(envelope, blob)).toBe(blob);
    await expect(signer.sign(message())).rejects.toThrow(/DKIM signing for origin\.test failed/);
  });

  it('refuses a configuration without any domain', () => {
    expect(() => createDkimSigner({})).toThrow(/no signing domain/);
    expect(() => createDkimSigner({ domain: 'origin.test' })).toThrow(/selector and privateKey/);
  });
});

describe('headerFromDomain', () => {
  it('finds the one From address, folded or with a display name', () => {
    const at = (head: string) => headerFromDomain(Buffer.from(`${head}\r\n\r\nbody`));
    expect(at('From: Alice <alice@Origin.TEST>')).toBe('origin.test');
    expect(at('Subject: x\r\nFrom: "Doe, J" (work)\r\n <j@b.test>')).toBe('b.test');
    expect(at('from:plain@c.test')).toBe('c.test');
    expect(at('From: a@x.test\r\nFrom: b@y.test')).toBeNull();
    expect(at('From: a@x.test, b@y.test')).toBeNull();
    expect(at('To: a@x.test')).toBeNull();
    expect(at('X-From: a@x.test\r\nSubject: From: b@y.test')).toBeNull();
  });
});
