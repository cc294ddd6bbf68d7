// Accessibility checks with axe-core, through open shadow roots: a test fails on any violation of impact
// serious or critical (and on the rules a caller adds), with the rule, its help and the elements in the
// message.
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** The landmark rules (moderate in axe): content outside landmarks, no main landmark, and the like. */
export const LANDMARK_RULES = (id: string): boolean => id === 'region' || id.startsWith('landmark');

export async function expectNoSeriousA11yViolations(
  page: Page,
  where: string,
  alsoFailOn: (ruleId: string) => boolean = () => false,
): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter(
      (violation) =>
        violation.impact === 'serious' || violation.impact === 'critical' || alsoFailOn(violation.id),
    )
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
    }));
  expect(serious, `${where}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}
