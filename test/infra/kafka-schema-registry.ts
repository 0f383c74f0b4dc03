/**
 * A small Confluent-compatible schema registry for tests: OUR OWN FAKE of a third-party
 * HTTP protocol. The Confluent server is not on Maven Central and Karapace is not on PyPI,
 * so the registry path is tested against this seam, while the schema-directory path is
 * tested for real. It serves the endpoints @kafkajs/confluent-schema-registry uses:
 *
 *   GET  /subjects                          GET  /schemas/ids/{id}
 *   POST /subjects/{s}/versions (register)  POST /subjects/{s} (look up)
 *   GET  /subjects/{s}/versions/{v|latest}  GET|PUT /config/{s}
 *
 * Ids are global, one per distinct schema; registering checks BACKWARD compatibility
 * against the subject's latest version (409 otherwise), as the real registry's default.
 * `failNext(n)` answers the next n requests with 503, to test a registry that is down.
 *
 * @example
 * const registry = await startSchemaRegistry()
 * const decode = await createValueDecoder(format, { registryUrl: registry.url })
 * await registry.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import avro from 'avsc'

export interface TestSchemaRegistry {
  readonly url: string
  /** Requests served so far, e.g. `GET /schemas/ids/3`. */
  readonly requests: string[]
  failNext(count: number): void
  close(): Promise<void>
}

interface Version {
  readonly id: number
  readonly version: number
  readonly schema: string
}

export async function startSchemaRegistry(): Promise<TestSchemaRegistry> {
  const schemasById = new Map<number, string>()
  const idBySchema = new Map<string, number>()
  const subjects = new Map<string, Version[]>()
  const config = new Map<string, string>()
  const requests: string[] = []
  let failures = 0

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
    res.end(JSON.stringify(body))
  }
  const notFound = (res: ServerResponse, code: number, message: string): void => send(res, 404, { error_code: code, message })
  const normalise = (text: string): string => JSON.stringify(avro.Type.forSchema(JSON.parse(text) as avro.Schema).schema())

  const handle = (req: IncomingMessage, body: string, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://registry')
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const method = req.method ?? 'GET'
    requests.push(`${method} ${url.pathname}`)
    if (failures > 0) {
      failures--
      send(res, 503, { error_code: 50003, message: 'registry unavailable (test)' })
      return
    }
    if (method === 'GET' && parts.length === 1 && parts[0] === 'subjects') {
      send(res, 200, [...subjects.keys()])
      return
    }
    if (method === 'GET' && parts[0] === 'schemas' && parts[1] === 'ids' && parts.length === 3) {
      const schema = schemasById.get(Number(parts[2]))
      if (schema) send(res, 200, { schema })
      else notFound(res, 40403, 'Schema not found')
      return
    }
    if (parts[0] === 'config' && parts.length === 2) {
      if (method === 'PUT') {
        const level = String((JSON.parse(body) as { compatibility: string }).compatibility)
        config.set(parts[1]!, level)
        send(res, 200, { compatibility: level })
        return
      }
      const level = config.get(parts[1]!)
      if (level) send(res, 200, { compatibilityLevel: level })
      else notFound(res, 40408, `Subject '${parts[1]}' does not have subject-level compatibility configured`)
      return
    }
    if (parts[0] === 'subjects' && parts.length >= 2) {
      const subject = parts[1]!
      const versions = subjects.get(subject) ?? []
      if (method === 'POST' && parts.length === 3 && parts[2] === 'versions') {
        register(res, subject, versions, body)
        return
      }
      if (method === 'POST' && parts.length === 2) {
        let key: string
        try {
          key = normalise((JSON.parse(body) as { schema: string }).schema)
        } catch (err) {
          send(res, 422, { error_code: 42201, message: `Invalid schema: ${(err as Error).message}` })
          return
        }
        const found = versions.find((v) => normalise(v.schema) === key)
        if (found) send(res, 200, { subject, ...found })
        else notFound(res, 40403, 'Schema not found')
        return
      }
      if (method === 'GET' && parts.length === 4 && parts[2] === 'versions') {
        const found = parts[3] === 'latest' ? versions[versions.length - 1] : versions.find((v) => v.version === Number(parts[3]))
        if (found) send(res, 200, { subject, ...found })
        else notFound(res, versions.length ? 40402 : 40401, versions.length ? 'Version not found' : `Subject '${subject}' not found`)
        return
      }
    }
    notFound(res, 404, `no route for ${method} ${url.pathname}`)
  }

  const register = (res: ServerResponse, subject: string, versions: Version[], body: string): void => {
    let text: string
    let type: avro.Type
    try {
      text = (JSON.parse(body) as { schema: string }).schema
      type = avro.Type.forSchema(JSON.parse(text) as avro.Schema)
    } catch (err) {
      send(res, 422, { error_code: 42201, message: `Invalid schema: ${(err as Error).message}` })
      return
    }
    const key = JSON.stringify(type.schema())
    const existing = versions.find((v) => normalise(v.schema) === key)
    if (existing) {
      send(res, 200, { id: existing.id })
      return
    }
    const latest = versions[versions.length - 1]
    if (latest && (config.get(subject) ?? 'BACKWARD') !== 'NONE') {
      try {
        type.createResolver(avro.Type.forSchema(JSON.parse(latest.schema) as avro.Schema))
      } catch (err) {
        send(res, 409, {
          error_code: 409,
          message: `Schema being registered is incompatible with an earlier schema: ${(err as Error).message}`,
        })
        return
      }
    }
    let id = idBySchema.get(key)
    if (id === undefined) {
      id = schemasById.size + 1
      schemasById.set(id, text)
      idBySchema.set(key, id)
    }
    versions.push({ id, version: (latest?.version ?? 0) + 1, schema: text })
    subjects.set(subject, versions)
    send(res, 200, { id })
  }

  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      try {
        handle(req, body, res)
      } catch (err) {
        send(res, 500, { error_code: 50001, message: (err as Error).message })
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (count) => {
      failures = count
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
