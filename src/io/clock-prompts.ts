import type * as Core from '@inquirer/core';
import type * as Prompts from '@inquirer/prompts';
import type { Style } from './style.js';

/**
 * select and input as @inquirer/prompts draws them, with one line above the question
 * that is drawn again every second while the prompt waits: the live clock. The card above went
 * into the scrollback once; this line is part of the prompt, so inquirer redraws it in place and
 * removes it with the rest of the prompt when the question is answered (the answer line stays).
 * The timer is an effect of the prompt: an answer, Ctrl-C or the run's abort signal clears it.
 */

export interface ClockPrompts {
  select: typeof Prompts.select;
  input: typeof Prompts.input;
}

interface Choice<Value> {
  name?: string;
  value: Value;
  description?: string;
  short?: string;
  disabled?: boolean | string;
}

interface SelectConfig<Value> {
  message: string;
  choices: ReadonlyArray<Choice<Value> | string>;
  default?: Value;
  pageSize?: number;
  loop?: boolean;
}

interface InputConfig {
  message: string;
  default?: string;
  required?: boolean;
  validate?: (value: string) => boolean | string | Promise<boolean | string>;
  transformer?: (value: string, flags: { isFinal: boolean }) => string;
}

/**
 * The two prompts the host asks with, built on the given @inquirer/core (loaded by the caller, when a run is
 * interactive). `status()` gives the line to draw above the question, already fitted to the
 * terminal's width, or undefined for none.
 */
export function clockPrompts(core: typeof Core, style: Style, status: () => string | undefined, tickMs = 1000): ClockPrompts {
  const {
    createPrompt,
    useState,
    useEffect,
    useKeypress,
    usePrefix,
    usePagination,
    makeTheme,
    isEnterKey,
    isUpKey,
    isDownKey,
    isNumberKey,
  } = core;

  /** The status line, drawn again every tick until the prompt is done. */
  function useStatus(done: boolean): string | undefined {
    const [, setTick] = useState(0);
    useEffect(() => {
      const timer = setInterval(() => setTick(Date.now()), tickMs);
      return () => clearInterval(timer);
    }, []);
    return done ? undefined : status();
  }

  const withStatus = (line: string | undefined, prompt: string): string => (line === undefined ? prompt : `${line}\n${prompt}`);

  const select = createPrompt<unknown, SelectConfig<unknown>>((config, done) => {
    const theme = makeTheme({});
    const [status, setStatus] = useState<'idle' | 'done'>('idle');
    const prefix = usePrefix({ status, theme });
    const items = config.choices.map((choice) =>
      typeof choice === 'string'
        ? { name: choice, value: choice as unknown, short: choice, description: undefined, disabled: false as boolean | string }
        : {
            name: choice.name ?? String(choice.value),
            value: choice.value,
            short: choice.short ?? choice.name ?? String(choice.value),
            description: choice.description,
            disabled: choice.disabled ?? false,
          },
    );
    const selectable = (index: number): boolean => items[index] !== undefined && !items[index].disabled;
    const first = items.findIndex((_, index) => selectable(index));
    const preferred = 'default' in config ? items.findIndex((item, index) => selectable(index) && item.value === config.default) : -1;
    const [active, setActive] = useState(preferred === -1 ? first : preferred);
    const loop = config.loop ?? true;
    const line = useStatus(status === 'done');

    useKeypress((key, rl) => {
      if (status === 'done') return;
      if (isEnterKey(key)) {
        setStatus('done');
        done(items[active]!.value);
      } else if (isUpKey(key) || isDownKey(key)) {
        rl.clearLine(0);
        const step = isUpKey(key) ? -1 : 1;
        let next = active;
        for (let i = 0; i < items.length; i++) {
          const candidate = next + step;
          if (!loop && (candidate < 0 || candidate >= items.length)) break;
          next = (candidate + items.length) % items.length;
          if (selectable(next)) {
            setActive(next);
            break;
          }
        }
      } else if (isNumberKey(key)) {
        const index = Number(rl.line) - 1;
        rl.clearLine(0);
        if (selectable(index)) setActive(index);
      } else {
        rl.clearLine(0);
      }
    });

    const chosen = items[active]!;
    const message = theme.style.message(config.message, status);
    if (status === 'done') return [prefix, message, theme.style.answer(chosen.short)].join(' ');
    const page = usePagination({
      items,
      active,
      renderItem: ({ item, isActive }) => {
        if (item.disabled) return style.dim(`- ${item.name} ${typeof item.disabled === 'string' ? item.disabled : '(disabled)'}`);
        return isActive ? theme.style.highlight(`❯ ${item.name}`) : `  ${item.name}`;
      },
      pageSize: config.pageSize ?? 7,
      loop,
    });
    const help = `${style.bold('↑↓')} ${style.dim('navigate')}${style.dim(' • ')}${style.bold('⏎')} ${style.dim('select')}`;
    const body = [`${prefix} ${message}`, page, ' ', chosen.description ? style.cyan(chosen.description) : '', help]
      .filter(Boolean)
      .join('\n')
      .trimEnd();
    // Hide the cursor, as inquirer's select does: the highlighted choice is where the operator looks.
    return `${withStatus(line, body)}\u001B[?25l`;
  });

  const input = createPrompt<string, InputConfig>((config, done) => {
    const theme = makeTheme({});
    const [status, setStatus] = useState<'idle' | 'loading' | 'done'>('idle');
    const [value, setValue] = useState('');
    const [error, setError] = useState<string | undefined>(undefined);
    const prefix = usePrefix({ status, theme });
    const line = useStatus(status === 'done');

    useKeypress(async (key, rl) => {
      if (status !== 'idle') return;
      if (isEnterKey(key)) {
        const answer = value || config.default || '';
        setStatus('loading');
        const verdict = config.required && !answer ? 'You must provide a value' : config.validate ? await config.validate(answer) : true;
        if (verdict === true) {
          setValue(answer);
          setStatus('done');
          done(answer);
        } else {
          // Enter cleared readline's line: give the operator back what they typed, to correct it.
          rl.write(value);
          setError(verdict === false ? 'You must provide a valid value' : verdict);
          setStatus('idle');
        }
      } else {
        setValue(rl.line);
        setError(undefined);
      }
    });

    const message = theme.style.message(config.message, status);
    const shown = config.transformer
      ? config.transformer(value, { isFinal: status === 'done' })
      : status === 'done'
        ? theme.style.answer(value)
        : value;
    const hint = config.default && status !== 'done' && !value ? ` ${theme.style.defaultAnswer(config.default)}` : '';
    const prompt = `${prefix} ${message}${hint} ${shown}`;
    if (status === 'done') return prompt;
    return [withStatus(line, prompt), error ? theme.style.error(error) : undefined];
  });

  return { select, input } as unknown as ClockPrompts;
}
