/**
 * Which module model judges a capture: `--profile NAME` (any model id or older profile name), else
 * the model the host evidence identifies (src/host/model.ts), else `auto`. Pure: the host's guess
 * comes in as plain data, so this stays a leaf below flow/ and host/.
 */
import { findModel, type ModuleModel, withKinds } from './modules.js';

/** What the host evidence says about the module (src/host/model.ts hostModelGuess). */
export interface HostModelGuess {
  /** model id */
  model: string;
  /** configured kinds read from parameters (ip_vs_ca tcpopt_addr, the CDN eBPF opcode map), [] none */
  kinds: number[];
  /** one sentence: which evidence named it */
  why: string;
  /** the variants this build reads when the evidence narrows the row (AliKernel without IPv6) */
  accepts?: string[];
}

export interface ModelChoice {
  model: ModuleModel;
  /** 'profile': --profile; 'host': identified from host evidence; 'default': auto, nothing known */
  by: 'profile' | 'host' | 'default';
  why: string;
}

export function chooseModel(profile: string | undefined, host: HostModelGuess | null): ModelChoice {
  if (profile && profile !== 'auto') {
    const m = findModel(profile);
    if (!m) throw new RangeError(`unknown profile ${profile}`);
    const alias = m.id !== profile ? ` (older profile name for ${m.id})` : '';
    let why = `--profile ${profile}${alias}`;
    let model = m;
    if (host && host.model === m.id && host.kinds.length) {
      model = withKinds(m, host.kinds);
      why += `; kinds ${host.kinds.join(', ')} from the host's parameters`;
    }
    return { model, by: 'profile', why };
  }
  if (host) {
    const m = findModel(host.model);
    if (m) {
      const model = withKinds(m, host.kinds);
      return { model: host.accepts ? { ...model, accepts: host.accepts } : model, by: 'host', why: host.why };
    }
  }
  const auto = findModel('auto')!;
  return {
    model: auto,
    by: 'default',
    why: profile === 'auto' ? '--profile auto' : 'no --profile and no host evidence naming a module',
  };
}
