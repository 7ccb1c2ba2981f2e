import createDebug from "debug";

/** Logs under `DEBUG=express-lucia-bitbucket*`. Callers never pass secrets, codes or tokens. */
export const log = createDebug("express-lucia-bitbucket");
