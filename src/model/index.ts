export { startModelServer, parseChatRequest, RequestError } from './server';
export type { ModelServer, ModelServerOptions, ParsedChatRequest } from './server';
export { runModelServe, resolveGguf, DEFAULT_MODEL_PORT } from './cli';
export type { ModelServeOptions } from './cli';
export type { EngineInfo, SamplingParams, ChatMessage } from './types';
