import type { IngestStatusResolvers, QueryResolvers } from '../../__generated__/resolvers-types';

export const ingestStatus: QueryResolvers['ingestStatus'] = (_parent, _args, { services }) => services.ingest.status();

/** The gallery rebuild's status, next to the catalogue ingest's. */
export const IngestStatus: IngestStatusResolvers = {
  rebuild: (_parent, _args, { services }) => services.rebuild.status(),
};
