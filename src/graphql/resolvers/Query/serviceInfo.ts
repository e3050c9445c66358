import type { QueryResolvers } from '../../__generated__/resolvers-types';

export const serviceInfo: QueryResolvers['serviceInfo'] = (_parent, _args, { services }) => services.info();
