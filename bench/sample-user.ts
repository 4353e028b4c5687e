// The user record the serializer benchmarks encode: a typical small JSON-able object (~320 bytes).
export const SAMPLE_USER = {
  id: 48213,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  active: true,
  score: 97.25,
  roles: ['admin', 'editor'],
  createdAt: '2026-11-21T10:00:00.000Z',
  address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH' },
  preferences: { theme: 'dark', language: 'en-GB', notifications: { email: true, sms: false } },
};
