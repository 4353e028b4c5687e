import sinon from 'sinon';

// Fail the suite on an unhandled rejection instead of letting it pass silently: larder promises
// that none of its timers or backends leave one behind.
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

export const mochaHooks = {
  afterEach(): void {
    sinon.restore();
    if (unhandled.length > 0) {
      const reasons = unhandled.splice(0);
      throw new Error(`unhandled rejection(s) during this test: ${reasons.map(String).join('; ')}`);
    }
  },
};
