// Parses translated filters with the real parsers of their languages and prints, per
// query, the problems found (JSON on stdout). Input (stdin): [{"lang": "logql"|"kql", "text": ...}].
// LogQL: Grafana's Lezer grammar of LogQL (@grafana/lezer-logql), error nodes.
// KQL: Microsoft's Kusto.Language (@kusto/language-service-next), parsed AND analysed
// against the AKSAudit table's columns, so an unknown column or function is an error too.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const { parser } = require('@grafana/lezer-logql');
globalThis.Bridge = require('@kusto/language-service-next/bridge.min.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
const K = globalThis.Kusto.Language;
const S = K.Symbols;
// Azure Monitor's AKSAudit table reference ("Columns"): the dynamic columns and their types.
const table = S.TableSymbol.From(
  '(Annotations:dynamic, AuditId:string, Level:string, ObjectRef:dynamic, PodName:string, ' +
  'RequestObject:dynamic, RequestReceivedTime:datetime, RequestUri:string, ResponseObject:dynamic, ' +
  'ResponseStatus:dynamic, SourceIps:dynamic, SourceSystem:string, Stage:string, ' +
  'StageReceivedTime:datetime, TimeGenerated:datetime, User:dynamic, UserAgent:string, Verb:string)'
).WithName('AKSAudit');
const db = new S.DatabaseSymbol('db', [table]);
const globals = K.GlobalState.Default.WithCluster(new S.ClusterSymbol('c', [db])).WithDatabase(db);

const input = JSON.parse(readFileSync(0, 'utf8'));
const out = input.map(({ lang, text }) => {
  const problems = [];
  if (lang === 'logql') {
    parser.parse(text).iterate({
      enter: (n) => { if (n.type.isError) problems.push(`error node at ${n.from}: ${JSON.stringify(text.slice(n.from, n.from + 30))}`); },
    });
  } else if (lang === 'kql') {
    const d = K.KustoCode.ParseAndAnalyze(text, globals).GetDiagnostics();
    for (let i = 0; i < d.Count; i++) { const x = d.getItem(i); problems.push(`${x.Start}: ${x.Message}`); }
  } else {
    problems.push(`no parser for ${lang}`);
  }
  return problems;
});
process.stdout.write(JSON.stringify(out));
