/**
 * The merchandising services a resolver reaches, or UNAVAILABLE when the server runs without them;
 * and who is acting, for the audit trail.
 */
import type { RequestAccess } from '../../auth/authorizer';
import { UnavailableError } from '../../domain/errors';
import type { RuleBook } from '../../rules/rule-book.service';
import type { RulePreviewService } from '../../rules/rule-preview.service';
import type { ApiServices } from '../context';

export function ruleBook(services: ApiServices): RuleBook {
  if (!services.rules) throw new UnavailableError('merchandising rules are not configured on this server');
  return services.rules.book;
}

export function rulePreview(services: ApiServices): RulePreviewService {
  if (!services.rules) throw new UnavailableError('merchandising rules are not configured on this server');
  return services.rules.preview;
}

/** The API key's name, as the audit trail records who changed what. */
export function actor(access: RequestAccess): string {
  return access.principal.kind === 'key' ? access.principal.name : access.principal.kind;
}
