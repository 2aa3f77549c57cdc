"use strict";
function thingRuleToHclTerraform(struct) {
    const attrs = {
        port: {
            value: cdktf.numberToHclTerraform(struct.port),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
        cidrs: {
            value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(struct.cidrs),
            isBlock: false,
            type: "list",
            storageClassType: "stringList",
        },
    };
}
function thingTimeoutsToHclTerraform(struct) {
    const attrs = {
        create: {
            value: cdktf.stringToHclTerraform(struct.create),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
}
class ThingEndpointsOutputReference extends cdktf.ComplexObject {
    // address - computed: true, optional: false, required: false
    get address() {
        return this.getStringAttribute('address');
    }
    // port - computed: true, optional: false, required: false
    get port() {
        return this.getNumberAttribute('port');
    }
}
class Thing extends cdktf.TerraformResource {
    constructor(scope, id, config) {
        this._endpoints = new ThingEndpointsList(this, "endpoints", true);
        this._network = new ThingNetworkOutputReference(this, "network");
        this._rule = new ThingRuleList(this, "rule", true);
        this._timeouts = new ThingTimeoutsOutputReference(this, "timeouts");
    }
    // arn - computed: true, optional: false, required: false
    get arn() {
        return this.getStringAttribute('arn');
    }
    // ready - computed: true, optional: false, required: false
    get ready() {
        return this.getBooleanAttribute('ready');
    }
    // labels - computed: true, optional: false, required: false
    get labels() {
        return this.getStringMapAttribute('labels');
    }
    get zoneIds() {
        return cdktf.Fn.tolist(this.getListAttribute('zone_ids'));
    }
    synthesizeHclAttributes() {
        const attrs = {
            name: {
                value: cdktf.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            size: {
                value: cdktf.numberToHclTerraform(this._size),
                isBlock: false,
                type: "simple",
                storageClassType: "number",
            },
            enabled: {
                value: cdktf.booleanToHclTerraform(this._enabled),
                isBlock: false,
                type: "simple",
                storageClassType: "boolean",
            },
            zone_ids: {
                value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._zoneIds),
                isBlock: false,
                type: "set",
                storageClassType: "stringList",
            },
            tags: {
                value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._tags),
                isBlock: false,
                type: "map",
                storageClassType: "stringMap",
            },
            rule: {
                value: cdktf.listMapperHcl(thingRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "set",
                storageClassType: "ThingRuleList",
            },
            network: {
                value: thingNetworkToHclTerraform(this._network.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "ThingNetworkList",
            },
            timeouts: {
                value: thingTimeoutsToHclTerraform(this._timeouts.internalValue),
                isBlock: true,
                type: "struct",
                storageClassType: "ThingTimeouts",
            },
        };
    }
}
Thing.tfResourceType = "mini_thing";
