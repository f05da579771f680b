import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runGatewayExpectingFailure, tempDataDir } from '../helpers/gateway-process.js'

describe('invalid configuration stops start-up with every problem listed', () => {
  it('lists all errors as path: message and exits non-zero', async () => {
    const dir = tempDataDir()
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({
      sites: [{ id: 'oak-house', timezone: 'Mars/Olympus' }],
      people: [{ id: 'p-1', site: 'elm', room_code: 'R1', carers: ['c-zed'], rules: [{ id: 'r', kind: 'bed_exit', device: 'nope', delay_s: -5 }] }],
      devices: [{ id: 'd-1', type: 'toaster', site: 'oak-house', person: 'p-1' }],
      users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }],
      pagers: [],
      surprise: true,
    }))
    const { code, stderr } = await runGatewayExpectingFailure(['--config', file, '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0'])
    expect(code).toBe(1)
    expect(stderr).toContain('GW_ERR_CONFIG_INVALID')
    for (const expected of [
      '(root): Unrecognized key: "surprise"',
      'people.0.rules.0.delay_s:',
    ]) expect(stderr).toContain(expected)
    // Shape errors stop the cross-reference pass in zod; a shape-valid file shows those next.
  })

  it('lists every cross-reference problem at once', async () => {
    const dir = tempDataDir()
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({
      sites: [{ id: 'oak-house', timezone: 'Mars/Olympus' }],
      people: [{ id: 'p-1', site: 'elm', room_code: 'R1', carers: ['c-zed'], rules: [{ id: 'r', kind: 'bed_exit', device: 'nope', delay_s: 5 }] }],
      devices: [{ id: 'd-1', type: 'toaster', site: 'oak-house', person: 'p-1' }],
      users: [{ id: 'c-amy', role: 'carer', display_name: 'Amy' }],
      pagers: [],
    }))
    const { code, stderr } = await runGatewayExpectingFailure(['--config', file, '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0'])
    expect(code).toBe(1)
    for (const expected of [
      "sites.0.timezone: unknown time zone 'Mars/Olympus'",
      "people.0.site: unknown site 'elm'",
      "people.0.carers.0: unknown user 'c-zed'",
      "people.0.rules.0.device: unknown device 'nope'",
      "devices.0.type: unknown device type 'toaster'",
      "users.0: carer 'c-amy' has no pager",
    ]) expect(stderr).toContain(expected)
  })

  it('names an unreadable file and a file that is not JSON', async () => {
    const dir = tempDataDir()
    const missing = await runGatewayExpectingFailure(['--config', join(dir, 'missing.json'), '--data-dir', dir])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('GW_ERR_CONFIG_UNREADABLE')
    const file = join(dir, 'broken.json')
    writeFileSync(file, '{ "sites": [')
    const broken = await runGatewayExpectingFailure(['--config', file, '--data-dir', dir])
    expect(broken.stderr).toContain('(file): not valid JSON')
  })

  it('refuses a bad flag with a precise message', async () => {
    const r = await runGatewayExpectingFailure(['--mqtt-port', 'seventy'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("invalid option mqtt-port: 'seventy' is not a port number")
  })
})
