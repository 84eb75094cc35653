/**
 * A fake polkit authority on the test bus daemon (scripts/with-systemd.sh): owns
 * org.freedesktop.PolicyKit1 and answers `CheckAuthorization` as the test says ('yes', 'no',
 * 'challenge', or 'hang' — never answers), recording every question (subject, action, details).
 * The wire is real: the same bus daemon, medic's own connection, polkit's method signature.
 */
import { interface as dbusInterface, type MessageBus, sessionBus, type Variant } from '@jellybrick/dbus-next';

export type FakeAnswer = 'yes' | 'no' | 'challenge' | 'hang';

export interface PolkitQuestion {
  subjectKind: string;
  subject: Record<string, unknown>;
  action: string;
  details: Record<string, string>;
  flags: number;
}

export interface FakePolkit {
  answer: FakeAnswer;
  readonly questions: PolkitQuestion[];
  stop(): Promise<void>;
}

const { Interface } = dbusInterface;

class Authority extends Interface {
  constructor(private readonly state: { answer: FakeAnswer; questions: PolkitQuestion[] }) {
    super('org.freedesktop.PolicyKit1.Authority');
    // This build's constructor sets own (undefined) member tables that hide the ones
    // configureMembers puts on the prototype; without them every call is "does not exist".
    const self = this as unknown as Record<string, unknown>;
    for (const k of ['$methods', '$properties', '$signals']) delete self[k];
  }

  CheckAuthorization(
    subject: [string, Record<string, Variant>],
    action: string,
    details: Record<string, string>,
    flags: number,
    _cancellation: string,
  ): Promise<[boolean, boolean, Record<string, string>]> | [boolean, boolean, Record<string, string>] {
    const [kind, fields] = subject;
    this.state.questions.push({
      subjectKind: kind,
      subject: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.value])),
      action,
      details,
      flags,
    });
    if (this.state.answer === 'hang') return new Promise(() => {});
    return [this.state.answer === 'yes', this.state.answer === 'challenge', {}];
  }
}

Authority.configureMembers({
  methods: {
    CheckAuthorization: { inSignature: '(sa{sv})sa{ss}us', outSignature: '(bba{ss})' },
  },
});

/** Starts the fake on `address` (the test bus daemon); `stop()` releases the name. */
export async function startFakePolkit(address: string, answer: FakeAnswer): Promise<FakePolkit> {
  const bus: MessageBus = sessionBus({ busAddress: address, authMethods: ['EXTERNAL'] });
  const state = { answer, questions: [] as PolkitQuestion[] };
  bus.export('/org/freedesktop/PolicyKit1/Authority', new Authority(state));
  // DO_NOT_QUEUE (4): a second fake in parallel must fail, not wait.
  const reply = await bus.requestName('org.freedesktop.PolicyKit1', 4);
  if (reply !== 1) {
    bus.disconnect();
    throw new Error(`fake polkit: org.freedesktop.PolicyKit1 is taken (RequestName → ${reply})`);
  }
  return {
    get answer() {
      return state.answer;
    },
    set answer(a: FakeAnswer) {
      state.answer = a;
    },
    questions: state.questions,
    async stop() {
      await bus.releaseName('org.freedesktop.PolicyKit1').catch(() => {});
      bus.disconnect();
    },
  };
}
