// Where the native addon is: the file a checkout builds (qa-engine.node), or the prebuilt one a
// packed release carries, named by the napi-rs convention qa-engine.<platform>-<arch>[-<abi>].node
// (qa-engine.linux-x64-gnu.node, qa-engine.darwin-arm64.node, qa-engine.win32-x64-msvc.node).
// Used by index.js (to load it), install.js (to skip the build) and scripts/dist.sh (to name it).
'use strict'

const fs = require('node:fs')
const path = require('node:path')

/** Whether this Linux runs on musl (no glibc version in Node's report), as napi-rs checks. */
function isMusl() {
  try {
    const report = process.report.getReport()
    const header = typeof report === 'string' ? JSON.parse(report).header : report.header
    return !header.glibcVersionRuntime
  } catch {
    return false
  }
}

/** The napi-rs names of this platform, best first: ["linux-x64-gnu"], ["darwin-arm64", "darwin-universal"] … */
function triples(platform = process.platform, arch = process.arch) {
  switch (platform) {
    case 'linux': {
      const abi = isMusl() ? 'musl' : arch === 'arm' ? 'gnueabihf' : 'gnu'
      return [`linux-${arch}-${abi}`]
    }
    case 'win32':
      return [`win32-${arch}-msvc`]
    case 'darwin':
      return [`darwin-${arch}`, 'darwin-universal']
    default:
      return [`${platform}-${arch}`]
  }
}

/** The file name of the prebuilt addon for `triple`. */
const prebuiltName = (triple) => `qa-engine.${triple}.node`

/** The prebuilt addon for this platform in `dir`, or null. */
function prebuilt(dir) {
  for (const t of triples()) {
    const file = path.join(dir, prebuiltName(t))
    if (fs.existsSync(file)) return file
  }
  return null
}

module.exports = { triples, prebuiltName, prebuilt }

if (require.main === module) {
  // `node platform.js`: the prebuilt file name for this platform (scripts/dist.sh)
  console.log(prebuiltName(triples()[0]))
}
