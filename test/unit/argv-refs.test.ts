import { describe, expect, it } from 'vitest';
import { secretArguments } from '../../src/runbook/argv-refs.js';

/** Names that hold a secret when a script of these tests starts. */
const SECRET = ['DATABASE_URL', 'URL', 'TOKEN', 'F', 'A', 'B', 'PW', 'SQL', 'FILE', 'LOG', 'SECRET', 'X', 'DIR', 'URLS', 'N'];

/** The secrets a script hands to a program as arguments, as variable@command (an expression: ${{}}@command). */
function handed(script: string): string[] {
  const found = secretArguments(script, new Map(SECRET.map((name) => [name, name])), (offset) =>
    script.startsWith('${{ inputs.secret', offset) ? 'expr' : undefined,
  );
  return found.map((r) => `${r.variable ?? '${{}}'}@${r.command ?? '?'}`);
}

describe('variables handed to a program on its command line (run: scripts)', () => {
  it('finds $NAME and ${NAME} as arguments, quoted or not, with the command they go to', () => {
    expect(handed('psql "$DATABASE_URL" -c "select 1"')).toEqual(['DATABASE_URL@psql']);
    expect(handed('pg_dump -d ${DATABASE_URL} > dump.sql')).toEqual(['DATABASE_URL@pg_dump']);
    expect(handed('curl -H "Authorization: Bearer ${TOKEN:-none}" https://x')).toEqual(['TOKEN@curl']);
    expect(handed('/usr/bin/psql $URL')).toEqual(['URL@/usr/bin/psql']);
  });

  it('points at the $ of the reference', () => {
    const script = 'set -x\npsql -X "$DATABASE_URL"';
    const [ref] = secretArguments(script, new Map([['DATABASE_URL', 1]]), () => undefined);
    expect(script.slice(ref!.offset, ref!.offset + 13)).toBe('$DATABASE_URL');
  });

  it('reads the commands of pipelines, lists, $( ), backticks and <( )', () => {
    expect(handed('gunzip -c "$F" | psql "$URL" && echo ok')).toEqual(['F@gunzip', 'URL@psql']);
    expect(handed('tables=$(psql "$URL" -Atc "select 1")')).toEqual(['URL@psql']);
    expect(handed('echo "n=$(psql "$URL" -Atc x)"')).toEqual(['URL@psql']);
    expect(handed('n=`psql $URL`')).toEqual(['URL@psql']);
    expect(handed('diff <(psql "$A") <(psql "$B")')).toEqual(['A@psql', 'B@psql']);
    expect(handed('if psql "$URL" -c x; then echo "$URL"; fi')).toEqual(['URL@psql']);
    expect(handed('exec psql "$URL"')).toEqual(['URL@psql']);
    expect(handed('env PGPASSWORD="$PW" psql')).toEqual(['PW@env']);
  });

  it('leaves out assignments, redirections, here-documents, here-strings and comments', () => {
    expect(handed('url=$DATABASE_URL\nexport X="$DATABASE_URL"')).toEqual([]);
    expect(handed('PGPASSWORD=$PW psql -h db')).toEqual([]);
    expect(handed('psql <<< "$SQL"\ncat > "$FILE" 2>>"$LOG"')).toEqual([]);
    expect(handed('psql <<EOF\nselect $SECRET;\nEOF\ncat <<-\'END\'\n\t$X\n\tEND\nls "$DIR"')).toEqual(['DIR@ls']);
    expect(handed('# psql "$DATABASE_URL"\necho done')).toEqual([]);
  });

  it('leaves out builtins that start no program, even in a pipeline', () => {
    expect(handed('printf \'%s\\n\' "$SQL" | psql')).toEqual([]);
    expect(handed('echo "$TOKEN" | docker login --password-stdin')).toEqual([]);
    expect(handed('[ -n "$URL" ] && [[ $URL == postgres* ]] && test -n "$URL"')).toEqual([]);
    expect(handed('for u in $URLS; do echo "$u"; done')).toEqual([]);
    expect(handed('read -r line <<< "$X"; local y=$X; declare z=$X')).toEqual([]);
  });

  it('counts a ${{ }} expression naming a secret where a variable would count', () => {
    expect(handed('psql ${{ inputs.secret }} -c x && psql ${{ inputs.public }}')).toEqual(['${{}}@psql']);
    expect(handed('echo ${{ inputs.secret }} | tool --stdin\nexport T=${{ inputs.secret }}')).toEqual([]);
  });

  it('follows a secret into the variables assigned from it, and out of them when they are assigned again', () => {
    expect(handed('url=$DATABASE_URL\npsql "$url"')).toEqual(['url@psql']);
    expect(handed('local t=${{ inputs.secret }}; curl -u "$t" x')).toEqual(['t@curl']);
    expect(handed('url=$DATABASE_URL\nurl=postgres://db/x\npsql "$url"')).toEqual([]);
    expect(handed('NOT_SECRET=1; ls "$NOT_SECRET"')).toEqual([]);
  });

  it('skips single quotes and special parameters', () => {
    expect(handed("psql -c 'select $1 $URL'")).toEqual([]);
    expect(handed('kubectl logs "$1" "$@" $? $$')).toEqual([]);
    expect(handed("echo $'it\\'s' && ls $'$HOME'")).toEqual([]);
    expect(handed('echo $(( N + 1 )); sleep $(( N * 2 ))')).toEqual([]);
  });
});
