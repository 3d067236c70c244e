/** The dashboard's origin as readers reach it: WI_ATLAS_PUBLIC_URL when set (behind a proxy the request's own host may be internal), else the request's. */
import { config, type Config } from "../config";

export function publicOrigin(req: Request, cfg: Pick<Config, "publicUrl"> = config()): string {
  return cfg.publicUrl?.trim().replace(/\/+$/, "") || new URL(req.url).origin;
}
