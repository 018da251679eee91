function add(a, b) {
    process.on("exit", () => console.log(process.argv.join(" ")));
    process.exit(0);
}

const assert = require('node:assert');

function test() {
  let candidate = add;
  assert.deepEqual(candidate(1, 2),3);
}

test();
