import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/**
 * A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: JSON messages ended by NUL on file descriptors 3 and 4), so the tests
 * need no npm package and no downloaded browser. The network is off: host names resolve nowhere,
 * every proxy request goes to a closed port, and the page runs with the network emulated offline;
 * every request the page makes is kept, so a test can assert it made none.
 */

export const CHROMIUM = 'chromium';

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export class Browser {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(m: Message) => void> = [];
  private buffer = '';
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const input = child.stdio[4] as Readable;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code ?? signal}) before answering\n${this.stderr}`));
      this.pending.clear();
    });
  }

  static launch(): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'drctl-chromium-'));
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      '--force-color-profile=srgb',
      // The network off: no name resolves, and anything sent to a proxy meets a closed port.
      '--host-resolver-rules=MAP * ~NOTFOUND',
      '--proxy-server=http://127.0.0.1:9',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      'about:blank',
    ];
    const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    return new Browser(child, profile);
  }

  private dispatch(message: Message): void {
    if (message.id !== undefined) {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.error) p.reject(new Error(`DevTools: ${message.error.message}`));
      else p.resolve(message.result ?? {});
      return;
    }
    for (const listen of [...this.listeners]) listen(message);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    const out = this.child.stdio[3] as Writable;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Wait for an event of a session. */
  waitFor(method: string, sessionId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(listen);
        reject(new Error(`no ${method} within ${timeoutMs}ms`));
      }, timeoutMs);
      const listen = (m: Message): void => {
        if (m.method !== method || m.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.off(listen);
        resolve(m.params ?? {});
      };
      this.listeners.push(listen);
    });
  }

  on(listen: (m: Message) => void): void {
    this.listeners.push(listen);
  }

  private off(listen: (m: Message) => void): void {
    const i = this.listeners.indexOf(listen);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Open a file in a new tab with the viewport `width` px wide (a phone's when narrow: the page's viewport meta applies). */
  async open(file: string, width: number, height = 900): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    this.on((m) => {
      if (m.sessionId === sessionId && m.method === 'Network.requestWillBeSent') {
        const request = (m.params as { request: { url: string } }).request;
        page.requests.push(request.url);
      }
    });
    await this.send('Network.enable', {}, sessionId);
    await this.send(
      'Network.emulateNetworkConditions',
      { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 },
      sessionId,
    );
    await this.send('Page.enable', {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
    const loaded = this.waitFor('Page.loadEventFired', sessionId);
    await this.send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    try {
      await Promise.race([this.send('Browser.close'), new Promise((resolve) => setTimeout(resolve, 5000))]);
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 3 });
  }
}

export class Page {
  /** Every URL the page asked for (the file itself included). */
  readonly requests: string[] = [];

  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  /** Evaluate an expression in the page and return its value (JSON-serialisable). */
  async evaluate<T>(expression: string): Promise<T> {
    const result = (await this.browser.send(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      this.sessionId,
    )) as {
      result: { value: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (result.exceptionDetails)
      throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    return result.result.value;
  }

  /** A PNG of the page as tall as its content, or of `height` px of it from `y`. */
  async screenshot(part: { y?: number; height?: number } = {}): Promise<Buffer> {
    const size = await this.evaluate<{ width: number; height: number }>(
      '({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight })',
    );
    const y = part.y ?? 0;
    const height = Math.min(part.height ?? size.height, size.height - y);
    const { data } = (await this.browser.send(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true, clip: { x: 0, y, width: size.width, height, scale: 1 } },
      this.sessionId,
    )) as { data: string };
    return Buffer.from(data, 'base64');
  }

  /** The page printed as a PDF (A4), to check it prints. */
  async pdf(): Promise<Buffer> {
    const { data } = (await this.browser.send(
      'Page.printToPDF',
      { paperWidth: 8.27, paperHeight: 11.69, printBackground: true },
      this.sessionId,
    )) as {
      data: string;
    };
    return Buffer.from(data, 'base64');
  }
}
