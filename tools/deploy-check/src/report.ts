/** What a deploy check found: what it looked at, what is wrong, what looks suspicious. */
export interface Finding {
  /** A file, optionally with a location inside it (`docker-compose.yml services.gateway`). */
  where: string;
  message: string;
}

export class CheckReport {
  readonly checked: string[] = [];
  readonly problems: Finding[] = [];
  readonly warnings: Finding[] = [];

  /** Records something that was checked (printed by the CLI). */
  ok(what: string): void {
    this.checked.push(what);
  }

  problem(where: string, message: string): void {
    this.problems.push({ where, message });
  }

  warn(where: string, message: string): void {
    this.warnings.push({ where, message });
  }

  get passed(): boolean {
    return this.problems.length === 0;
  }

  /** Problems as `where: message` lines, for assertions and output. */
  problemLines(): string[] {
    return this.problems.map(format);
  }

  warningLines(): string[] {
    return this.warnings.map(format);
  }
}

function format(finding: Finding): string {
  return `${finding.where}: ${finding.message}`;
}
