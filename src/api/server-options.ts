/** Constants of `serve`, apart from the server itself so the CLI can show them without loading it. */
export const AUTH_TOKEN_ENV = 'QDRANT2MILVUS_AUTH_TOKEN';
export const DEFAULT_PORT = 7700;
