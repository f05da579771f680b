import type { Repositories } from '../core/contracts.js'
import { createAlertRepo } from './alert-repo.js'
import { createAuditRepo } from './audit-repo.js'
import type { Db } from './db.js'
import { createJournalRepo, type JournalRepo } from './journal-repo.js'
import { createNotificationRepo } from './notification-repo.js'
import { withPersonalDataStore } from './personal-data-repo.js'
import { createRuleVersionRepo, createSuppressionRepo } from './rule-repos.js'
import { createCredentialRepo, createRuleStateRepo, createTimerRepo } from './state-repos.js'

export { openDatabase, type Db } from './db.js'
/** Accounts are used by the access layer only, not the pipeline, so they are not part of `Repositories`. */
export { createAccountRepo } from './account-repo.js'
export { lockedElsewhere } from './group-commit.js'

/** The SQLite implementation of every repository role. */
/** `auditKey` chains the audit trail (HMAC-SHA256); the gateway and its tools always pass it, unit tests may not. */
export function createRepositories(db: Db, opts: { auditKey?: Buffer } = {}): Repositories & { readonly journal: JournalRepo } {
  return {
    // Issue 8: personal text goes to personal_data, the audit row keeps a reference (privacy/personal-fields.ts).
    audit: withPersonalDataStore(db, createAuditRepo(db, opts.auditKey)),
    journal: createJournalRepo(db),
    alerts: createAlertRepo(db),
    notifications: createNotificationRepo(db),
    ruleState: createRuleStateRepo(db),
    timers: createTimerRepo(db),
    credentials: createCredentialRepo(db),
    suppressions: createSuppressionRepo(db),
    ruleVersions: createRuleVersionRepo(db),
  }
}
