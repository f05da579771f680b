import { describe, expect, it } from 'vitest'
import { createTopicAcl } from './acl.js'

const sites: Record<string, string> = { 'bed-r12': 'oak-house', 'sz-r14': 'oak-house' }
const acl = createTopicAcl({ bridges: { 'z2m-oak': 'zigbee2mqtt' } })
const sited = createTopicAcl({ siteOf: (p) => sites[p] })

describe('createTopicAcl: publish', () => {
  it.each<[string, string, boolean]>([
    ['bed-r12', 'care/oak-house/device/bed-r12/event', true],
    ['bed-r12', 'care/oak-house/device/bed-r12/status', true],
    ['bed-r12', 'care/oak-house/device/bed-r12', false],
    ['bed-r12', 'care/oak-house/device/sz-r14/event', false],
    ['bed-r12', 'care/oak-house/alert/a-1', false],
    ['bed-r12', 'care/oak-house/command/bed-r12/reset', false],
    ['bed-r12', 'care/oak-house/gateway/status', false],
    ['bed-r12', 'zigbee2mqtt/bridge/state', false],
    ['bed-r12', '$SYS/x', false],
    ['bed-r12', 'other/bed-r12/event', false],
    ['z2m-oak', 'zigbee2mqtt/bridge/state', true],
    ['z2m-oak', 'zigbee2mqtt', true],
    ['z2m-oak', 'zigbee2mqtt-other/x', false],
    ['z2m-oak', 'care/oak-house/device/bed-r12/event', false],
    ['gateway', 'care/oak-house/alert/a-1', true],
    ['gateway', 'care/oak-house/gateway/status', true],
    ['gateway', '$SYS/x', false],
    ['+', 'care/oak-house/device/+/event', false],
  ])('%s → %s: %s', (principal, topic, allowed) => {
    expect(acl.mayPublish(principal, topic)).toBe(allowed)
  })

  it('holds a device to its own site when siteOf is given, and an unknown device to nothing', () => {
    expect(sited.mayPublish('bed-r12', 'care/oak-house/device/bed-r12/event')).toBe(true)
    expect(sited.mayPublish('bed-r12', 'care/elm-court/device/bed-r12/event')).toBe(false)
    expect(sited.mayPublish('ghost-7', 'care/oak-house/device/ghost-7/event')).toBe(false)
  })
})

describe('createTopicAcl: subscribe', () => {
  it.each<[string, string, boolean]>([
    ['bed-r12', 'care/oak-house/device/bed-r12/#', true],
    ['bed-r12', 'care/oak-house/device/bed-r12/+', true],
    ['bed-r12', 'care/oak-house/command/bed-r12/#', true],
    ['bed-r12', 'care/oak-house/gateway/status', true],
    ['bed-r12', 'care/oak-house/gateway/#', false],
    ['bed-r12', '#', false],
    ['bed-r12', '+/+/+/+/+', false],
    ['bed-r12', 'care/+/device/bed-r12/#', false],
    ['bed-r12', 'care/oak-house/device/+/event', false],
    ['bed-r12', 'care/oak-house/device/#', false],
    ['bed-r12', 'care/oak-house/device/sz-r14/event', false],
    ['bed-r12', 'care/oak-house/alert/#', false],
    ['bed-r12', '$SYS/#', false],
    ['z2m-oak', 'zigbee2mqtt/#', true],
    ['z2m-oak', '#', false],
    ['gateway', 'care/+/device/+/event', true],
  ])('%s → %s: %s', (principal, filter, allowed) => {
    expect(acl.maySubscribe(principal, filter)).toBe(allowed)
  })
})

describe('createTopicAcl: options', () => {
  it.each(['care/oak-house/device/x', 'zigbee2mqtt/#', '$SYS', ''])('refuses the bridge base topic %j', (base) => {
    expect(() => createTopicAcl({ bridges: { z: base } })).toThrow(TypeError)
  })
})
