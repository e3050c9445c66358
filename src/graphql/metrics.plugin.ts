/**
 * An Apollo plugin reporting to an injected observer: each root field's resolution (field name as
 * the operation, search mode, outcome: OK or the error code, time) and the codes of the errors
 * each response carries (parse and validation errors included). Client-chosen names (operation
 * names, aliases) are never used as labels, so series stay bounded.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { performance } from 'node:perf_hooks';
import type { GraphQLContext } from './context';
import { graphqlErrorCode, INTERNAL_CODE } from './errors';

export interface GraphQLObserver {
  rootFieldResolved(r: { operation: string; mode: string; outcome: string; seconds: number }): void;
  errorsSent(codes: readonly string[]): void;
}

const MODES = new Set(['TEXT', 'IMAGE', 'COMPOSED', 'TEXT_AND_IMAGE', 'SIMILAR']);

/**
 * The search mode label of a root field: the mode the search service reports, or (when it failed
 * before reporting one) the mode its input asks for; empty for fields that are not searches.
 */
export function searchModeLabel(field: string, args: Record<string, unknown>, result: unknown): string {
  const reported = (result as { mode?: unknown } | null | undefined)?.mode;
  if (typeof reported === 'string' && MODES.has(reported)) return reported.toLowerCase();
  if (field === 'similarProducts') return 'similar';
  if (field !== 'search') return '';
  const input = (args.input ?? {}) as { text?: unknown; image?: unknown; modifier?: unknown };
  if (input.image == null) return 'text';
  if (input.modifier != null) return 'composed';
  return input.text != null ? 'text_and_image' : 'image';
}

export function metricsPlugin(observer: GraphQLObserver): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart() {
          return {
            willResolveField({ info, args }) {
              if (info.path.prev !== undefined) return;
              const started = performance.now();
              return (error, result) => {
                observer.rootFieldResolved({
                  operation: info.fieldName,
                  mode: searchModeLabel(info.fieldName, args, result),
                  outcome: error ? graphqlErrorCode(error) : 'OK',
                  seconds: (performance.now() - started) / 1000,
                });
              };
            },
          };
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          if (errors?.length) observer.errorsSent(errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : INTERNAL_CODE)));
        },
      };
    },
  };
}
