import { PLANS } from '@ldm/shared';
import { LdmAdminClient, type Plan } from '../../admin/admin-client';
import {
  type Command,
  type CommandContext,
  EXIT,
  numberFlag,
  printJson,
  stringFlag,
  UsageError,
  type Values,
} from '../command';
import { resolveAdminConnection } from '../resolve-admin-connection';

const USAGE = `admin <resource> <action> [options]     (operator API, needs the edge's ADMIN_TOKEN)

  admin accounts create --name NAME [--credits N] [--plan free|pro|enterprise]
        prints the new account id
  admin accounts get ACCOUNT_ID
  admin accounts update ACCOUNT_ID [--plan P] [--name NAME] [--stripe-customer cus_...|none]
  admin keys create ACCOUNT_ID [--mode live|test] [--key-name NAME]
        prints the new API key (shown once)
  admin keys revoke KEY_ID
  admin credits add ACCOUNT_ID AMOUNT [--reason TEXT]
        a negative amount removes credits: write it after --  (credits add ID -- -500)

  --admin-token TOKEN   (default: $LDM_ADMIN_TOKEN, else the local stack's, for its own URL only)`;

type Action = (admin: LdmAdminClient, ctx: CommandContext, values: Values, args: string[]) => Promise<number>;

function arity(args: string[], names: string[]): void {
  if (args.length !== names.length)
    throw new UsageError(
      `expected ${names.length ? names.join(' ') : 'no arguments'}, got ${args.length} argument(s)`,
    );
}

function plan(values: Values): Plan | undefined {
  const raw = stringFlag(values, 'plan');
  if (raw === undefined) return undefined;
  if (!(PLANS as readonly string[]).includes(raw))
    throw new UsageError(`--plan must be one of ${PLANS.join(', ')}`);
  return raw as Plan;
}

/** The id (or key) alone on stdout, for `$(ldm admin ...)`; what it is on stderr. */
function printCreated(ctx: CommandContext, value: string, note: string): void {
  ctx.stdout.write(`${value}\n`);
  if (!ctx.quiet) ctx.stderr.write(`${note}\n`);
}

const ACTIONS: Record<string, Action> = {
  async 'accounts create'(admin, ctx, values, args) {
    arity(args, []);
    const name = stringFlag(values, 'name');
    if (!name) throw new UsageError('--name is required');
    const account = await admin.createAccount({
      name,
      credits: numberFlag(values, 'credits'),
      plan: plan(values),
    });
    if (ctx.json) printJson(ctx, account);
    else
      printCreated(
        ctx,
        account.id,
        `account ${account.id} "${account.name}", plan ${account.plan}, ${account.credits} credits`,
      );
    return EXIT.ok;
  },

  async 'accounts get'(admin, ctx, _values, args) {
    arity(args, ['ACCOUNT_ID']);
    const a = await admin.getAccount(args[0]);
    if (ctx.json) printJson(ctx, a);
    else
      ctx.stdout.write(
        `${a.name} (${a.id}), plan ${a.plan}, ${a.credits} credits, ${a.reserved} reserved, stripe customer ${a.stripe_customer ?? 'none'}\n`,
      );
    return EXIT.ok;
  },

  async 'accounts update'(admin, ctx, values, args) {
    arity(args, ['ACCOUNT_ID']);
    const customer = stringFlag(values, 'stripe-customer');
    const patch = {
      plan: plan(values),
      name: stringFlag(values, 'name'),
      stripe_customer: customer === undefined ? undefined : customer === 'none' ? null : customer,
    };
    if (Object.values(patch).every((v) => v === undefined))
      throw new UsageError('nothing to update: pass --plan, --name or --stripe-customer');
    const a = await admin.updateAccount(args[0], patch);
    if (ctx.json) printJson(ctx, a);
    else
      ctx.stdout.write(
        `${a.id}: plan ${a.plan}, name "${a.name}", stripe customer ${a.stripe_customer ?? 'none'}\n`,
      );
    return EXIT.ok;
  },

  async 'keys create'(admin, ctx, values, args) {
    arity(args, ['ACCOUNT_ID']);
    const mode = stringFlag(values, 'mode');
    if (mode !== undefined && mode !== 'live' && mode !== 'test')
      throw new UsageError('--mode must be live or test');
    const created = await admin.createKey(args[0], { mode, name: stringFlag(values, 'key-name') });
    if (ctx.json) printJson(ctx, created);
    else
      printCreated(
        ctx,
        created.key,
        `key ${created.id} for ${args[0]} (${mode ?? 'live'}); it is not shown again`,
      );
    return EXIT.ok;
  },

  async 'keys revoke'(admin, ctx, _values, args) {
    arity(args, ['KEY_ID']);
    await admin.revokeKey(args[0]);
    if (ctx.json) printJson(ctx, { id: args[0], revoked: true });
    else ctx.stdout.write(`${args[0]} revoked\n`);
    return EXIT.ok;
  },

  async 'credits add'(admin, ctx, values, args) {
    arity(args, ['ACCOUNT_ID', 'AMOUNT']);
    const amount = numberFlag({ amount: args[1] }, 'amount');
    const a = await admin.addCredits(args[0], {
      amount: amount as number,
      reason: stringFlag(values, 'reason'),
    });
    if (ctx.json) printJson(ctx, a);
    else ctx.stdout.write(`${a.id}: ${a.credits} credits available\n`);
    return EXIT.ok;
  },
};

export const adminCommand: Command = {
  name: 'admin',
  summary: 'operator API: accounts, keys, credits (ADMIN_TOKEN)',
  usage: USAGE,
  options: {
    'admin-token': { type: 'string' },
    name: { type: 'string' },
    credits: { type: 'string' },
    plan: { type: 'string' },
    mode: { type: 'string' },
    'key-name': { type: 'string' },
    'stripe-customer': { type: 'string' },
    reason: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const [resource, action, ...args] = positionals;
    const run = ACTIONS[`${resource} ${action}`];
    if (!run) {
      throw new UsageError(
        resource === undefined
          ? 'admin needs a resource and an action'
          : `unknown admin command "${[resource, action].filter(Boolean).join(' ')}"; one of: ${Object.keys(ACTIONS).join(', ')}`,
      );
    }
    const connection = resolveAdminConnection({
      flags: { baseUrl: ctx.baseUrl(), adminToken: stringFlag(values, 'admin-token') },
      env: ctx.env,
      cwd: ctx.cwd,
    });
    const admin = new LdmAdminClient({ baseUrl: connection.baseUrl, adminToken: connection.adminToken });
    return run(admin, ctx, values, args);
  },
};
