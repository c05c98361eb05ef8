import { describe, expect, it } from 'vitest';
import { GenerationRequest } from './generation';
import { LIMITS } from './limits';
import {
  checkPromptSyntax,
  PromptSyntaxError,
  parsePromptWeights,
  promptTokenLowerBound,
} from './prompt-syntax';

const w = (text: string, weight: number) => ({ text, weight });

describe('parsePromptWeights: the grammar, case by case', () => {
  it.each<[string, { text: string; weight: number }[]]>([
    ['a cat', [w('a cat', 1)]],
    ['', []],
    ['a (red) cat', [w('a ', 1), w('red', 1.1), w(' cat', 1)]],
    ['a [red] cat', [w('a ', 1), w('red', 1 / 1.1), w(' cat', 1)]],
    ['((red))', [w('red', 1.1 * 1.1)]],
    ['[[red]]', [w('red', 1 / 1.1 / 1.1)]],
    ['(red:1.3)', [w('red', 1.3)]],
    ['(red: 0.5 )', [w('red', 0.5)]],
    ['(red:0)', [w('red', 0)]],
    ['(red:.5)', [w('red', 0.5)]],
    ['(red:2.)', [w('red', 2)]],
    ['(a (b:2) c)', [w('a ', 1.1), w('b', 2.2), w(' c', 1.1)]],
    ['((a:1.5) b:0.5)', [w('a', 0.75), w(' b', 0.5)]],
    ['[a (b)]', [w('a ', 1 / 1.1), w('b', 1)]],
    ['\\(literal\\) \\[x\\] a\\\\b', [w('(literal) [x] a\\b', 1)]],
    ['\\(a:1.5\\)', [w('(a:1.5)', 1)]],
    ['path\\n', [w('path\\n', 1)]],
    ['a happy face :)', [w('a happy face :)', 1)]],
    ['stray ] and )', [w('stray ] and )', 1)]],
    ['(unclosed', [w('unclosed', 1.1)]],
    ['[unclosed', [w('unclosed', 1 / 1.1)]],
    ['(style: watercolor)', [w('style: watercolor', 1.1)]],
    ['ratio 16:9', [w('ratio 16:9', 1)]],
    ['16:9)', [w('16:9)', 1)]],
    ['(word:)', [w('word:', 1.1)]],
    ['(cat:+)', [w('cat:+', 1.1)]],
    ['(a) (b)', [w('a', 1.1), w(' ', 1), w('b', 1.1)]],
    ['(a)(b)', [w('ab', 1.1)]],
  ])('%j', (prompt, expected) => {
    const parts = parsePromptWeights(prompt);
    expect(parts.map((p) => p.text)).toEqual(expected.map((p) => p.text));
    parts.forEach((p, i) => {
      expect(p.weight).toBeCloseTo(expected[i].weight, 12);
    });
  });
});

describe('parsePromptWeights: malformed weights are errors with their position', () => {
  it.each<[string, number, RegExp]>([
    ['a (cat:1.2.3) b', 7, /weight "1\.2\.3" is not a decimal number at character 7/],
    ['(cat:.)', 5, /weight "\." is not a decimal number/],
    ['(cat:-1)', 5, /weight -1 is negative/],
    ['(cat: 11)', 6, /weight 11 is more than 10/],
    ['(cat:10.5)', 5, /more than 10/],
  ])('%j -> position %i', (prompt, position, message) => {
    let caught: unknown;
    try {
      parsePromptWeights(prompt);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PromptSyntaxError);
    expect((caught as PromptSyntaxError).position).toBe(position);
    expect((caught as Error).message).toMatch(message);
  });

  it('bounds nesting depth (each level multiplies the weight)', () => {
    const depth = LIMITS.promptMaxNesting;
    expect(() => parsePromptWeights(`${'('.repeat(depth)}a${')'.repeat(depth)}`)).not.toThrow();
    expect(() => parsePromptWeights(`${'('.repeat(depth + 1)}a`)).toThrow(
      new PromptSyntaxError(depth, `brackets nested more than ${depth} deep`, depth),
    );
    // The bound holds for a 2,000-character prompt of brackets: no overflow to Infinity.
    expect(() => parsePromptWeights('('.repeat(LIMITS.promptMaxChars))).toThrow(/nested more than/);
  });
});

describe('token limit, checked at the edge from a lower bound', () => {
  it('counts CLIP pre-tokens of the text without the weight syntax', () => {
    expect(promptTokenLowerBound('a photo of a cat')).toBe(5);
    expect(promptTokenLowerBound('((a photo:1.4)) of [a cat]')).toBe(5);
    expect(promptTokenLowerBound('year 2024!!')).toBe(6);
  });

  it('accepts the limit and rejects one past it, naming the limit', () => {
    const words = (n: number) => Array.from({ length: n }, () => 'cat').join(' ');
    expect(checkPromptSyntax(words(LIMITS.promptMaxTokens))).toBeUndefined();
    expect(checkPromptSyntax(words(LIMITS.promptMaxTokens + 1))?.message).toBe(
      'has at least 301 tokens; at most 300 (4 chunks of 75)',
    );
  });

  it('GenerationRequest answers the field and the position', () => {
    const result = GenerationRequest.safeParse({ prompt: 'a cat', negative_prompt: '(blurry:1.2.3)' });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(['negative_prompt']);
    expect(issue?.message).toBe('negative_prompt weight "1.2.3" is not a decimal number at character 8');
    const long = GenerationRequest.safeParse({ prompt: Array.from({ length: 400 }, () => 'cat').join(' ') });
    expect(long.error?.issues[0].path).toEqual(['prompt']);
    expect(GenerationRequest.safeParse({ prompt: '(a cat:1.3), [blurry]' }).success).toBe(true);
  });
});
