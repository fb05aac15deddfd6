/**
 * The reads' floors behind a bare HTTP server (node:http, JSON in and out, no framework, no
 * GraphQL): what bench/read.ts measures as `httpFloor`, to tell the cost of HTTP itself from
 * the cost of the GraphQL stack. POST /order {id, skus}, /customerOrders {customerId},
 * /availability {skus, near}; GET /health. DATABASE_URL, PORT; a pool of 10.
 */
import http from 'node:http';
import pg from 'pg';
import { availabilityFloor, customerFloor, orderFloor } from './floors';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
type Body = { id: string; skus: string[]; customerId: string; near: { lat: number; lng: number } };
const routes: Record<string, (b: Body) => Promise<unknown>> = {
  '/order': (b) => orderFloor(pool, b.id, b.skus),
  '/customerOrders': (b) => customerFloor(pool, b.customerId),
  '/availability': (b) => availabilityFloor(pool, b.skus, b.near),
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return void res.end('ok');
  const route = routes[req.url ?? ''];
  if (req.method !== 'POST' || !route) {
    res.statusCode = 404;
    return void res.end();
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    route(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body).then(
      (data) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data }));
      },
      (err: Error) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
