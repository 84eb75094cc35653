/**
 * May medic manage the contract's units? The verdict (pure) from what the check found
 * (polkit-check.ts): how medic reaches the manager, what polkit answers for the bare action, and
 * whether systemd itself let medic reference every unit (`Unit.Ref`, which systemd authorizes as
 * `org.freedesktop.systemd1.manage-units` with the unit's name — exactly like a restart).
 *
 * Why both: a non-root caller may not pass details to polkit's `CheckAuthorization` ("Only
 * trusted callers … can pass details"), so polkit can only be asked about the bare action — and a
 * rule limited to the contract's units (the one medic ships, examples/polkit) does not match a
 * question without a unit. polkit's answer therefore only explains; systemd's answer for each
 * unit decides.
 *
 * polkit not on the bus is not a finding by itself: the user manager never asks polkit, and the
 * system manager lets root through without it. Without polkit a non-root medic on the system bus
 * is refused by systemd — the unit proof says so, and the message names the missing polkit.
 */

/** polkit's answer to CheckAuthorization(system-bus-name = medic, manage-units, no details). */
export type PolkitAnswer =
  | { kind: 'authorized' }
  /** Only after interactive authentication (a password prompt nobody answers for a daemon). */
  | { kind: 'challenge' }
  | { kind: 'not-authorized' }
  /** Nobody owns org.freedesktop.PolicyKit1 on the bus. */
  | { kind: 'absent' }
  | { kind: 'failed'; message: string };

export interface UnitProof {
  /** Units systemd let medic reference. */
  permitted: string[];
  /** Units systemd refused, with its error (AccessDenied, InteractiveAuthorizationRequired). */
  refused: { unit: string; error: string }[];
  /** Units systemd does not know (not a permission question: drift and detection report them). */
  unknown: string[];
}

export type PermissionCode =
  /** medic talks to the manager's private socket: only its owner (root, or the user) can. */
  | 'PERMISSION_NOT_NEEDED'
  | 'PERMISSION_GRANTED'
  | 'PERMISSION_DENIED'
  /** The check itself failed (the manager did not answer): nothing is known. */
  | 'PERMISSION_UNKNOWN';

export interface Permission {
  ok: boolean;
  code: PermissionCode;
  /** The polkit action systemd checks. */
  action: string;
  polkit: PolkitAnswer['kind'] | 'not asked';
  /** One line: what was found (also the refusal message when not ok). */
  message: string;
  refused: string[];
}

export const MANAGE_UNITS = 'org.freedesktop.systemd1.manage-units';

export interface VerdictInput {
  /** False for a direct peer (the manager's private socket). */
  viaDaemon: boolean;
  scope: 'user' | 'system';
  uid: number;
  /** Who medic runs as, for the message (`medic (uid 998)`). */
  who: string;
  polkit?: PolkitAnswer;
  proof?: UnitProof;
  /** The check could not finish (e.g. the manager did not answer). */
  failure?: string;
}

export function permissionVerdict(input: VerdictInput): Permission {
  const base = { action: MANAGE_UNITS, refused: [] as string[] };
  const polkit = input.polkit?.kind ?? 'not asked';
  if (!input.viaDaemon)
    return {
      ...base,
      ok: true,
      code: 'PERMISSION_NOT_NEEDED',
      polkit,
      message: "the manager's private socket: its owner may manage every unit (no polkit)",
    };
  if (input.failure !== undefined || !input.proof)
    return {
      ...base,
      ok: false,
      code: 'PERMISSION_UNKNOWN',
      polkit,
      message: `could not check whether ${input.who} may manage units: ${input.failure ?? 'no answer'}`,
    };
  const refused = input.proof.refused.map((r) => r.unit);
  if (refused.length === 0) {
    const how =
      polkit === 'authorized'
        ? `polkit grants ${MANAGE_UNITS}`
        : input.scope === 'user'
          ? 'the user manager lets its own user manage units'
          : input.uid === 0
            ? 'root'
            : `systemd let it manage each contract unit (a polkit rule for ${MANAGE_UNITS} limited to the units)`;
    return {
      ...base,
      ok: true,
      code: 'PERMISSION_GRANTED',
      polkit,
      message: `${input.who} may manage the contract's ${input.proof.permitted.length} unit(s): ${how}`,
    };
  }
  const cause =
    polkit === 'absent'
      ? input.scope === 'system' && input.uid !== 0
        ? 'polkit is not running on this bus, and without it systemd lets only root manage units'
        : 'polkit is not on this bus, so the refusal is not its own: a D-Bus policy or a security module denies it'
      : polkit === 'failed'
        ? `polkit did not answer (${(input.polkit as { message: string }).message})`
        : `no polkit rule grants ${MANAGE_UNITS} for ${refused.length === 1 ? 'it' : 'them'}`;
  const first = input.proof.refused[0] as { error: string };
  return {
    ...base,
    ok: false,
    code: 'PERMISSION_DENIED',
    polkit,
    refused,
    message:
      `${input.who} may not manage ${refused.length} contract unit(s) (${refused.slice(0, 5).join(', ')}` +
      `${refused.length > 5 ? ', …' : ''}): systemd refused (${first.error}); ${cause}. ` +
      'Install a rule for these units (`medic contract polkit`, docs/SYSTEMD.md "Permissions") or run medic as root.',
  };
}
