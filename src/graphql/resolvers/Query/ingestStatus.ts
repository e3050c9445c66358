import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const ingestStatus: QueryResolvers['ingestStatus'] = (_parent, _args, { services }) => services.ingest.status();
