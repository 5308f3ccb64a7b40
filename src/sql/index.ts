/**
 * The SQL front end: text → parsed statements → bound Statements (LogicalPlan for queries).
 */
export { parseScript, parseStatement, type ParsedStatement } from './parser.js';
export {
  bindStatement, planQuery, planStatements,
  type BindEnv, type QueryStatement, type Statement, type ViewQuery,
} from './statement.js';
export { splitStatements, rewriteStatement, tokenize, type StatementText, type PreparsedStatement } from './preparse.js';
