import { describe, expect, it } from 'vitest';
import { argvRefs } from '../../src/runbook/argv-refs.js';

/** The variables a script hands to a program as arguments, as name@command. */
function handed(script: string): string[] {
  return argvRefs(script).map((r) => `${r.name}@${r.command ?? '?'}`);
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
    const [ref] = argvRefs(script);
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

  it('skips ${{ }} expressions, single quotes and special parameters', () => {
    expect(handed("psql ${{ inputs.url }} -c 'select $1'")).toEqual([]);
    expect(handed('kubectl logs "$1" "$@" $? $$')).toEqual([]);
    expect(handed("echo $'it\\'s' && ls $'$HOME'")).toEqual([]);
    expect(handed('echo $(( N + 1 )); sleep $(( N * 2 ))')).toEqual([]);
  });
});
