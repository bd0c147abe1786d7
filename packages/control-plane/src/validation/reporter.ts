/** Findings of the analysis and the reporter rules write them through. */
import type { ValidationIssue } from '../errors.js';

/** Errors (reject) and warnings (reported, applied). */
export interface Findings {
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Options of the analysis. */
export interface AnalysisOptions {
  /**
   * Severity of a destination naming a host nothing defines. `'error'` (default) matches
   * `istioctl analyze`; `'warning'` lets routes be applied before their workloads register.
   */
  unknownHostSeverity?: 'error' | 'warning';
}

/** What the analysis needs to know about one document. */
export interface AnalyzedDocument {
  label: string;
  kind: string;
  namespace: string;
  name: string;
  spec: unknown;
}

/** Collects findings for one document. */
export class Reporter {
  constructor(
    readonly doc: AnalyzedDocument,
    readonly findings: Findings,
  ) {}
  /** Records an error: the apply is rejected. */
  error(path: string, reason: string): void {
    this.findings.errors.push({ document: this.doc.label, path, reason });
  }
  /** Records a warning: reported, the apply goes ahead. */
  warn(path: string, reason: string): void {
    this.findings.warnings.push({ document: this.doc.label, path, reason });
  }
}
